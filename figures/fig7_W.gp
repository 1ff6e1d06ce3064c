# Fig. 7 (the paper's): W = |sum_i w_i| of one binary hidden unit, mean +-
# sd over seeds.  (a) against beta at B = 10^4 (N = 100), symrbm threshold:
# exact model term, full-batch SGD, T = 40.  (b) against r = N/B at N = 20,
# the paper's training clock (minibatch 10, lr 0.001, 250 epochs: t = 0.025 B)
# at beta = 0.5 (the paper's label) and 0.17 (the coupling that matches its
# curve, docs/fig7b.md).  grey: the paper's values as read off.
# in: da (beta W sd), db5 and db17 (r W sd B), out
load 'figures/common.gp'
if (term eq 'png') { set terminal pngcairo size 1400,620 enhanced font 'Helvetica,16' linewidth 2 }
if (term eq 'pdf') { set terminal pdfcairo size 17cm,7.5cm enhanced font 'Helvetica,8' linewidth 1 }
set output out.'.'.term
set multiplot layout 1,2 title 'W = |{/Symbol S}_i w_i| of one binary hidden unit'
set logscale x
set format x '10^{%T}'
set xlabel 'coupling {/Symbol b}'
set ylabel 'W'
set yrange [0:*]
set key top left font ',13'
# the paper's values as read off its Fig. 7 (PAPER.md), for comparison
$pa << EOD
0.1 1.2
0.25 2.6
0.5 4.6
0.75 7.3
1 12
EOD
$pb << EOD
0.0065 1.95
0.02 1.57
0.11 0.57
0.22 0.17
0.3 0.1
EOD
set title '(a) N = 100, B = 10^4'
plot da using 1:2:3 with yerrorlines ls 1 pt 7 title 'symrbm threshold (mean ± sd, 3 seeds)', \
     $pa using 1:2 with points ls 6 pt 6 ps 1.5 title 'paper (read off)'
set xlabel 'r = N / B'
set title '(b) N = 20, 250 epochs (t = 0.025 B)'
set key top right font ',13'
plot db5 using 1:2:3 with yerrorlines ls 2 pt 5 title 'symrbm sim, {/Symbol b} = 0.5 (10 seeds)', \
     db17 using 1:2:3 with yerrorlines ls 1 pt 7 title 'symrbm sim, {/Symbol b} = 0.17 (10 seeds)', \
     $pb using 1:2 with points ls 6 pt 6 ps 1.5 title 'paper ({/Symbol b} = 0.5 stated)'
unset multiplot
