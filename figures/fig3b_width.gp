# Figure 3b: receptive-field width fwhm against the correlation length xi of
# the ising data, one binary hidden unit.  Theory fixed point (N = 400) with
# its least-squares line fa xi + fb, the paper's reading 1.7 xi + 7, the flow
# at the sims' ring and clock (N = 100, t = 100), and the sim runs (PCD-20,
# SGD lr 0.001, batch 10, B = 10^4, 100 epochs): every seed (open) and the
# mean +- sd over seeds (filled).  in: th, sim, simm, fa, fb, out
load 'figures/common.gp'
set xlabel 'correlation length {/Symbol x} = -1 / ln tanh {/Symbol b}'
set ylabel 'receptive-field width fwhm (sites)'
set xrange [1.5:12.5]
set yrange [0:*]
set key bottom right font ',12' spacing 1.15
set title 'Receptive-field width against correlation length (binary hidden unit)'
plot th using 1:3 with linespoints ls 1 title 'theory: fixed point, N = 400', \
     fa * x + fb with lines ls 1 dt 2 lw 1.5 \
        title sprintf('fit: %.3g {/Symbol x} + %.3g', fa, fb), \
     1.7 * x + 7 with lines ls 6 dt 3 lw 1.5 title "paper's fit: 1.7 {/Symbol x} + 7", \
     th using 1:4 with linespoints ls 3 title 'theory: N = 100, t = 100 (the sims'' clock)', \
     sim using 1:4 with points ls 2 pt 6 ps 1.2 lw 1 title 'sim, N = 100: each seed', \
     simm using 1:2:3 with yerrorbars ls 2 pt 7 ps 1.3 title 'sim: mean ± sd over seeds'
