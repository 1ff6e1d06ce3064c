# Three coherent centres (the paper's Fig. 6): the unwrapped X_mu(t) of the
# three binary units of seed 0 (M = 3), moving together at nearly fixed
# spacing.  in: in (rows t X_0 X_1 X_2), g0, g2 (smallest and largest mean gap),
# c01, c02, c12 (step correlations), term, out
load 'figures/common.gp'
set xlabel 'learning time t = lr x updates'
set ylabel 'unwrapped centre X_{/Symbol m} (sites)'
set key top left font ',13'
set title sprintf('M = 3: mean gaps %.0f..%.0f sites, step correlations %.2f %.2f %.2f', \
                  g0, g2, c01, c02, c12)
set grid
plot for [mu = 0:2] in using 1:(column(mu + 2)) with lines ls (mu + 1) \
     title sprintf('unit %d', mu)
