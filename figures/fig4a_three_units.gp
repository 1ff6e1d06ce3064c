# Fig. 4a (the paper's): the fields of M = 3 binary hidden units after the
# paper's training (as Fig. 3a) against theory --M 3 at the same clock;
# units matched and aligned as symrbm compare does (align.awk: permutation,
# per-unit shift and sign).  in: dat (i s0 t0 s1 t1 s2 t2), Q (mean), out
load 'figures/common.gp'
set xlabel 'site {/Helvetica-Italic i}'
set ylabel 'weight w_{i{/Symbol m}}'
set xrange [0:99]
set yrange [-0.15:1.15]
set xzeroaxis lt 0 lc rgb '#999999'
set key top right font ',12' spacing 1.15 maxrows 3
set title sprintf('M = 3 binary hidden units (ising N = 100, {/Symbol b} = 1), mean Q = %.4f', Q)
plot for [mu=0:2] dat using 1:(column(3 + 2 * mu)) with lines ls (mu + 1) title sprintf('theory, unit %d', mu), \
     for [mu=0:2] dat using 1:(column(2 + 2 * mu)) with points ls (mu + 1) pt 7 ps 0.8 title sprintf('sim, unit %d', mu)
