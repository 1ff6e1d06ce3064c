# D against nu/b (issue 9 item 7; SPEC.md 8): measured D of the receptive-
# field centre with its 95% bootstrap interval over seeds (points, bars),
# binary (spin) and gaussian hidden units, online sampling, exact model term,
# ising N = 100, beta = 1, M = 1; the leading-order prediction D_pred =
# k nu/b per unit t (lines; k = e^T Sigma e / (2 |dw*/dX|^2) from
# theory/restore.h).  Lower panel: D / D_pred with the acceptance band
# [0.8, 1.25].  Gaussian points drawn open where at least one seed's field
# broke up (norm2 or R < 0.5 after formation, table column broken).
# in: in (figures/data/diffusion_lr.tsv layout), kb, kg (D_pred / (nu/b) of
# spin and gaussian units), term, out
load 'figures/common.gp'
set datafile separator "\t"
set multiplot
set lmargin at screen 0.12
set rmargin at screen 0.97
set tmargin at screen 0.91
set bmargin at screen 0.42
set logscale xy
set format x ''
set format y '10^{%T}'
set xrange [7e-5:4e-3]
set ylabel 'D (sites^2 per unit t)'
set title 'Centre diffusion constant against {/Symbol n}/b (online sampling, exact model term)'
set key bottom right font ',13' spacing 1.1
set grid
sp(c) = strcol(1) eq 'spin' ? column(c) : 1/0
ga(c) = strcol(1) eq 'gaussian' && column(16) == 0 ? column(c) : 1/0
gb(c) = strcol(1) eq 'gaussian' && column(16) > 0 ? column(c) : 1/0
plot kb * x with lines ls 1 dt 2 title 'binary: D_{pred} (leading order)', \
     in skip 1 using (sp(4)):7:8:9 with yerrorbars ls 1 pt 7 title 'binary: measured', \
     kg * x with lines ls 2 dt 2 title 'gaussian: D_{pred}', \
     in skip 1 using (ga(4)):7:8:9 with yerrorbars ls 2 pt 5 title 'gaussian: measured, no break-up', \
     in skip 1 using (gb(4)):7:8:9 with yerrorbars ls 2 pt 4 title 'gaussian: some seeds broke up'
unset logscale y
set format y '%.2f'
set format x '10^{%T}'
set title ''
set tmargin at screen 0.40
set bmargin at screen 0.10
set xlabel '{/Symbol n}/b (learning rate / minibatch)'
set ylabel 'D / D_{pred}'
set yrange [0.4:2.0]
set ytics 0.25
set key top left font ',12'
plot 1 with lines lc rgb '#555555' lw 1 notitle, \
     0.8 with lines lc rgb '#999999' lw 1 dt 3 title 'acceptance band [0.8, 1.25]', \
     1.25 with lines lc rgb '#999999' lw 1 dt 3 notitle, \
     in skip 1 using (sp(4) * 0.97):11:12:13 with yerrorbars ls 1 pt 7 notitle, \
     in skip 1 using (ga(4) * 1.03):11:12:13 with yerrorbars ls 2 pt 5 notitle, \
     in skip 1 using (gb(4) * 1.03):11:12:13 with yerrorbars ls 2 pt 4 notitle
unset multiplot
