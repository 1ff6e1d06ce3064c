# Figure 1: receptive-field formation, theory, ising N = 100 beta = 1:
# w_i(t) as a heat map, sites across, learning time up (log scale).
# in: dat (triples "i t w", blank line between times), out
load 'figures/common.gp'
set view map
set logscale y
set xlabel 'site {/Helvetica-Italic i}'
set ylabel 'learning time {/Helvetica-Italic t}'
set cblabel 'weight {/Helvetica-Italic w_i}'
set palette defined (-1 '#2c7bb6', 0 '#ffffff', 1 '#d7191c')
# white at w = 0: a symmetric colour range
stats dat using 3 nooutput
wmax = (abs(STATS_min) > abs(STATS_max)) ? abs(STATS_min) : abs(STATS_max)
set cbrange [-wmax:wmax]
set xrange [0:99]
set yrange [0.04:40]
set title 'Receptive field forms: theory, ising {/Helvetica-Italic N} = 100, {/Symbol b} = 1'
splot dat using 1:2:3 with pm3d
