# MSD of the unwrapped centre after formation (the paper's Fig. 5b): the
# time- and seed-averaged MSD, its 95% bootstrap band over seeds, and the fit
# a + 2 D tau over the fitted lags (solid) and beyond (dashed), and the
# prediction a + 2 D_pred tau (SPEC.md 8, theory/restore.h; D_pred =
# summary's D_total, drawn through the fit's intercept: the prediction is
# for the slope; omitted when nan).
# in: in (msd.tsv), xs, xlab, D, Dlo, Dhi, a, taumax, De, Dp, term, out
load 'figures/common.gp'
# integer keys (xs = 1000 t per epoch) must not divide as integers
xs = xs * 1.0
set xlabel xlab
set ylabel 'MSD of X (sites^2)'
set key top left font ',12'
set title 'Mean squared displacement of the receptive-field centre'
set grid
fit_lab = sprintf('fit: 2 D {/Symbol t} + a, D = %.3g [%.3g, %.3g] per unit t (%.3g per epoch)', \
                  D, Dlo, Dhi, De)
plot in using ($1 / xs):3:4 with filledcurves lc rgb '#a9cce3' fs solid 0.5 title '95% band (bootstrap over seeds)', \
     in using ($1 / xs):2 with lines ls 1 title 'MSD, time- and seed-averaged', \
     [0:taumax * 1.0 / xs] a + 2 * D * x * xs with lines ls 2 title fit_lab, \
     [taumax * 1.0 / xs:*] a + 2 * D * x * xs with lines ls 2 dt 2 lw 1.5 notitle, \
     (Dp == Dp ? a + 2 * Dp * x * xs : 1/0) with lines ls 3 lw 2 dt 4 \
         title sprintf('prediction D_{pred} = %.3g per unit t (restore)', Dp)
