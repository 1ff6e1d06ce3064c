# overlay_potts.gp: theory (lines) against simulation (points) for `symrbm
# compare` of Potts runs (data xy; SPEC.md 4, 9; compare/report_potts.h).
#
# Called by symrbm compare as
#   gnuplot -e "th='overlay_theory.tsv'; sim='overlay_sim.tsv'; png='x.png'; pdf='x.pdf'; stride=K" overlay_potts.gp
# th:  columns t mu norm2 R center S_ang phase loglik pr a0
# sim: columns sim t mu Q norm2 R center S_ang phase loglik pr a0
# Unit mu = 0 of each side is drawn as written (with M >= 2 the matching
# of units is in compare.tsv, column mu_theory).

if (!exists("th") || !exists("sim")) {
    print "overlay_potts.gp: set th and sim (data files) with -e"
    exit status 1
}
if (!exists("png")) png = "overlay.png"
if (!exists("pdf")) pdf = "overlay.pdf"
if (!exists("stride")) stride = 1

set datafile columnheaders
set datafile missing "nan"
set logscale x
set format x "10^{%L}"
set xlabel "learning time t"
set key top left box opaque samplen 2 spacing 1.1
set grid lt 0 lw 0.5
# unit 0 only, t > 0 (log axis)
u0(name) = (column("mu") == 0 && column("t") > 0) ? column(name) : NaN

do for [fmt in "png pdf"] {
    if (fmt eq "png") {
        set terminal pngcairo size 1500,900 font "Sans,12" enhanced
        set output png
    } else {
        set terminal pdfcairo size 10in,6in font "Sans,10" enhanced
        set output pdf
    }
    set multiplot layout 2,3 title "Potts: theory (lines) vs simulation (points), unit 0"
    set logscale y
    set format y "10^{%L}"
    set ylabel "norm2"
    plot th using "t":(u0("norm2")) with lines lw 2 lc rgb "#1f77b4" title "theory", \
         sim using "t":(u0("norm2")) every stride with points pt 7 ps 0.7 lc rgb "#d62728" title "sim"
    unset logscale y
    set format y "%g"
    set yrange [0:1.05]
    set ylabel "R (spatial), S_{ang} (angular)"
    plot th using "t":(u0("R")) with lines lw 2 lc rgb "#ff7f0e" title "R theory", \
         sim using "t":(u0("R")) every stride with points pt 5 ps 0.7 lc rgb "#ff7f0e" title "R sim", \
         th using "t":(u0("S_ang")) with lines lw 2 lc rgb "#9467bd" title "S_{ang} theory", \
         sim using "t":(u0("S_ang")) every stride with points pt 7 ps 0.7 lc rgb "#9467bd" title "S_{ang} sim"
    set ylabel "aligned overlap Q"
    set key bottom right
    plot sim using "t":(u0("Q")) every stride with linespoints pt 7 ps 0.7 lc rgb "#2ca02c" title "Q(sim, theory)"
    set autoscale y
    set key top left
    set ylabel "centre (sites)"
    plot th using "t":(u0("center")) with lines lw 2 lc rgb "#1f77b4" title "theory", \
         sim using "t":(u0("center")) every stride with points pt 7 ps 0.7 lc rgb "#d62728" title "sim"
    set ylabel "angular phase (rad)"
    plot th using "t":(u0("phase")) with lines lw 2 lc rgb "#1f77b4" title "theory", \
         sim using "t":(u0("phase")) every stride with points pt 7 ps 0.7 lc rgb "#d62728" title "sim"
    set ylabel "log-likelihood"
    plot th using "t":(u0("loglik")) with lines lw 2 lc rgb "#1f77b4" title "theory", \
         sim using "t":(u0("loglik")) every stride with points pt 7 ps 0.7 lc rgb "#d62728" title "sim"
    unset multiplot
    set output
}
