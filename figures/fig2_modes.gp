# Figure 2: Fourier amplitudes a_0..a_4 against t; theory lines, simulation
# points for B = 10^4 (open) and 10^5 (filled).  in: th, s4, s5, out
load 'figures/common.gp'
set logscale x
set logscale y
set xlabel 'learning time {/Helvetica-Italic t}'
set ylabel 'Fourier amplitude {/Helvetica-Italic a_k}'
set xrange [0.04:40]
set yrange [1e-4:2]
set key bottom right font ',12' spacing 1.1
set title 'Modes: theory (lines), simulation B = 10^4 (open), 10^5 (filled)'
plot for [k=0:4] th using 1:(column(10+k)) with lines ls (k+1) title sprintf('a_%d', k), \
     for [k=0:4] s4 using 1:(column(10+k)) every 6 with points ls (k+1) pt 6 ps 1.6 lw 1 notitle, \
     for [k=0:4] s5 using 1:(column(10+k)) every 6 with points ls (k+1) pt 7 notitle
