# Unwrapped centre walks (the paper's Fig. 5a): X(t) - X(t_form) of every
# seed after the field formed.  in: in (t, X - X0, seed + 1; blocks), xs (t per x
# unit), xlab, tf, term, out
load 'figures/common.gp'
# integer keys (xs = 1000 t per epoch) must not divide as integers
xs = xs * 1.0
set xlabel xlab
set ylabel 'unwrapped centre X - X(t_{form}) (sites)'
set title 'Receptive-field centres after formation, one line per seed'
set grid
plot in using ($1 / xs):2:3 with lines lw 1.5 lc variable
