# Fig. 3a (the paper's): the receptive field w_i of one binary hidden unit
# after the paper's training (PCD-20, SGD lr 0.001, batch 10, B = 10^4,
# 100 epochs: t = 100) against the infinite-data flow at the same clock,
# shifted and signed onto the sim (align.awk).  in: dat (i sim theory), Q, out
load 'figures/common.gp'
set xlabel 'site {/Helvetica-Italic i}'
set ylabel 'weight w_i'
set xrange [0:99]
set yrange [-0.15:0.85]
set xzeroaxis lt 0 lc rgb '#999999'
set key top left font ',13' spacing 1.2
set title sprintf('Receptive field of one binary hidden unit (ising N = 100, {/Symbol b} = 1), Q = %.4f', Q)
plot dat using 1:3 with lines ls 1 title 'theory, t = 100 (aligned)', \
     dat using 1:2 with points ls 2 pt 7 ps 0.9 title 'sim: B = 10^4, PCD-20, 100 epochs'
