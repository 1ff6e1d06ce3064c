# The paper's Fig. 9 and Fig. 10: receptive fields w_i(c) of RBMs with Potts
# visible units trained on xy data (SPEC.md 9; captions in figures/README.md).
# Inputs, made by figures/xy_fields.sh from one `symrbm sim --data xy` run:
#   wmat  the final weights as blocks (one per unit, two blank lines apart),
#         each P rows (colour c) of N values (site i): `matrix` data
#   sites the final sites.tsv rows "mu i A phi W_ang s keep" (keep = 1 where
#         the site power s_i is at least 10% of the unit's largest)
#   M, P, N, title, name, outdir
# Per unit: a heat map of w_i(c) over site i and colour c, and beside it
# (bottom panel) the per-site phase phi_i of the angular harmonic on the
# sites that hold the field, in units of the colour spacing 2 pi / P so it
# reads on the same axis as c (w_i(c) = A cos(2 pi c/P - phi) peaks at
# c = phi P / (2 pi)).
#   gnuplot -e "wmat='..'; sites='..'; M=1; P=10; N=100; title='..'; name='fig9_xy_field_spin'; outdir='figures/out'" figures/xy_fields.gp
if (!exists("outdir")) outdir = 'figures/out'
system('mkdir -p ' . outdir)
wmax = real(system(sprintf("awk 'NF { for (k = 1; k <= NF; k++) { a = $k < 0 ? -$k : $k; if (a > m) m = a } } END { print m }' %s", wmat)))
set palette defined (0 '#2166ac', 1 '#f7f7f7', 2 '#b2182b')
set cbrange [-wmax : wmax]
set tics out
set key noautotitle
set xrange [-0.5 : N - 0.5]
# the same plot width in every panel, colour box or not
set lmargin at screen 0.10
set rmargin at screen 0.84

# the phase in colour units on the heat map's axis [-0.5, P - 0.5): cyclic,
# so a phase just below 2 pi is drawn just below colour 0
cwrap(c) = c >= P - 0.5 ? c - P : c

# one heat map panel per unit, then the phase panel
do for [term = 0:1] {
    if (term == 0) {
        set terminal pngcairo size 1000, 260 * M + 380 enhanced font 'Helvetica,14' linewidth 2
        set output outdir . '/' . name . '.png'
    } else {
        set terminal pdfcairo size 8.5cm, (2.2 * M + 3.2) * 1cm enhanced font 'Helvetica,7' linewidth 1
        set output outdir . '/' . name . '.pdf'
    }
    set multiplot layout M + 1, 1 title title
    set yrange [-0.5 : P - 0.5]
    set ytics 0, 3, P - 1
    set ylabel 'colour c'
    set format x ''
    unset xlabel
    set colorbox
    set cblabel 'w_i(c)'
    do for [mu = 0:M-1] {
        set label 1 sprintf('unit %d', mu) at graph 0.01, graph 0.88 front font ',11'
        plot wmat index mu matrix with image pixels
    }
    unset label 1
    set format x '%g'
    set xlabel 'site i'
    set ylabel 'phase {/Symbol f}_i P / 2{/Symbol p}'
    set yrange [-0.5 : P - 0.5]
    unset colorbox
    set key top right horizontal font ',10' samplen 1
    plot for [mu = 0:M-1] sites using ($1 == mu && $7 > 0 ? $2 : 1/0):(cwrap($4 * P / (2 * pi))) \
        with points pt 7 ps 0.7 lc mu + 1 title (M > 1 ? sprintf('unit %d', mu) : '')
    unset key
    unset multiplot
    unset output
}
