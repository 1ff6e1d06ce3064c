# overlay.gp: theory (lines) against simulation (points, error bars = spread
# over seeds) for `symrbm compare` (SPEC.md 4; README.md, section symrbm compare).
#
# Called by symrbm compare as
#   gnuplot -e "th='overlay_theory.tsv'; sim='overlay_sim.tsv'; png='x.png'; pdf='x.pdf'" overlay.gp
# th:  columns t norm2 pr R S a0 .. a4 (theory, t > 0)
# sim: columns t, then X and X_sd for X in norm2 pr R S Q a0 .. a4
#      (mean and standard deviation over the SIM_DIRs at each snapshot)
# Both files start with "# key=value" header lines and a column line.

if (!exists("th") || !exists("sim")) {
    print "overlay.gp: set th and sim (data files) with -e"
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
set bars small

do for [fmt in "png pdf"] {
    if (fmt eq "png") {
        set terminal pngcairo size 1400,1000 font "Sans,12" enhanced
        set output png
    } else {
        set terminal pdfcairo size 9in,6.5in font "Sans,10" enhanced
        set output pdf
    }
    set multiplot layout 2,2 title "theory (lines) vs simulation (points: mean ± sd over seeds)"

    # (a) squared norm of the weights, log scale: exponential growth, then saturation
    set logscale y
    set format y "10^{%L}"
    set ylabel "norm2 = {/Symbol S}_i w_i^2"
    plot th using "t":"norm2" with lines lw 2 lc rgb "#1f77b4" title "theory", \
         sim using "t":"norm2":"norm2_sd" every stride with yerrorbars pt 7 ps 0.7 lc rgb "#d62728" title "simulation"

    # (b) shape: participation ratio and localisation R
    unset logscale y
    set format y "%g"
    set yrange [0:1.05]
    set ylabel "pr, R"
    plot th using "t":"pr" with lines lw 2 lc rgb "#1f77b4" title "pr (theory)", \
         sim using "t":"pr":"pr_sd" every stride with yerrorbars pt 7 ps 0.7 lc rgb "#1f77b4" title "pr (sim)", \
         th using "t":"R" with lines lw 2 lc rgb "#ff7f0e" title "R (theory)", \
         sim using "t":"R":"R_sd" every stride with yerrorbars pt 5 ps 0.7 lc rgb "#ff7f0e" title "R (sim)"

    # (c) Fourier amplitudes a_0 .. a_4
    set autoscale y
    set logscale y
    set format y "10^{%L}"
    set ylabel "a_k = |ŵ_k| / {/Symbol \326}N"
    plot for [k=0:4] th using "t":(column(sprintf("a%d", k))) with lines lw 2 lc k+1 title sprintf("a_%d", k), \
         for [k=0:4] sim using "t":(column(sprintf("a%d", k))):(column(sprintf("a%d_sd", k))) \
             every stride with yerrorbars pt 7 ps 0.6 lc k+1 notitle

    # (d) aligned overlap Q of the simulated profile with the theory's
    unset logscale y
    set format y "%g"
    set yrange [0:1.05]
    set ylabel "aligned overlap Q"
    plot sim using "t":"Q":"Q_sd" every stride with yerrorbars pt 7 ps 0.7 lc rgb "#2ca02c" title "Q(sim, theory)", \
         sim using "t":"Q" with lines lw 1 lc rgb "#2ca02c" notitle
    set autoscale y

    unset multiplot
    set output
}
