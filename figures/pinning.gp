# Pinning at finite B (SPEC.md 8, compare/pinning.h): per training-set size,
# the predicted stationary density of the centre, P(X) ∝ exp(L_B(X) / T_eff)
# on that very training set, against the pooled histogram of the measured
# centres X mod N after formation (all seeds, one bin per site).
# in: f1 f2 f3 (pinning.tsv), t1 t2 t3 (panel titles), N, term, out
load 'figures/common.gp'
if (term eq 'pdf') { set terminal pdfcairo size 8.5cm,12cm enhanced font 'Helvetica,7' linewidth 1 } \
else { set terminal pngcairo size 1000,1200 enhanced font 'Helvetica,14' linewidth 2 }
set output out.'.'.term
set multiplot layout 3,1 title 'Centre of a pinned receptive field: prediction on the training set against the measured histogram'
set xrange [0:N]
set grid
set key top center font ',11' opaque
set yrange [0:*]
set ylabel 'density of X mod N (1/site)'
do for [k=1:3] {
    f = k == 1 ? f1 : (k == 2 ? f2 : f3)
    t = k == 1 ? t1 : (k == 2 ? t2 : t3)
    set title t
    if (k == 3) { set xlabel 'centre X mod N (sites)' }
    plot f using 1:4 with steps ls 1 title 'measured (pooled seeds after formation)', \
         f using 1:3 with lines ls 2 title 'predicted P(X) = e^{L_B/T_{eff}} / Z'
}
unset multiplot
