# Figure 6: the M = 5 receptive fields learned by PCD (spin hidden units,
# N = 100, B = 10^4, 20 epochs) at beta = 1 (localised, tiling the ring) and
# beta = 1.5 (wider).  in: w1, w15 (columns: i w_{i,0} .. w_{i,4}), out
load 'figures/common.gp'
set multiplot layout 2,1 title 'Receptive fields of M = 5 spin hidden units (PCD, N = 100, B = 10^4)'
set ylabel 'w_{i{/Symbol m}}'
set xrange [0:99]
set label 1 '{/Symbol b} = 1' at graph 0.02, graph 0.88 front
set format x ''
plot for [mu=0:4] w1 using 1:(column(mu+2)) with lines ls (mu+1)
set label 1 '{/Symbol b} = 1.5'
set format x '%g'
set xlabel 'site {/Helvetica-Italic i}'
plot for [mu=0:4] w15 using 1:(column(mu+2)) with lines ls (mu+1)
unset multiplot
