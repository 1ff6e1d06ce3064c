# Fig. 12 (the paper's): (a, b) the top eigenvalue of the empirical
# correlation C^ against r = N/B (N = 100; mean over seeds) at beta = 0.3
# and 0.5, with the population's top eigenvalue lambda_max (= e^{2 beta} at
# large N), the Marchenko-Pastur edge (1 + sqrt r)^2 and the random-matrix
# (Silverstein) prediction; (c) top eigenvectors of C^ at five B, beta = 1.
# in: d3, d5 (r top rmt lmax), ev (prefix of the eigenvector files), out
load 'figures/common.gp'
if (term eq 'png') { set terminal pngcairo size 1500,560 enhanced font 'Helvetica,15' linewidth 2 }
if (term eq 'pdf') { set terminal pdfcairo size 17.5cm,6.5cm enhanced font 'Helvetica,7' linewidth 1 }
set output out.'.'.term
set multiplot layout 1,3 title 'Top eigenvalue and eigenvector of the empirical correlation Ĉ (ising, N = 100)'
set logscale xy
set format x '10^{%T}'
set xlabel 'r = N / B'
set ylabel 'top eigenvalue'
set xrange [1e-3:6]
set yrange [1:20]
set key top left font ',11' spacing 1.1
mp(x) = (1 + sqrt(x))**2
do for [k=0:1] {
    f = k == 0 ? d3 : d5
    set title sprintf('(%s) {/Symbol b} = %s', k == 0 ? 'a' : 'b', k == 0 ? '0.3' : '0.5')
    plot f using 1:2 with points ls 1 pt 7 ps 1.1 title 'top eigenvalue of Ĉ (sampled)', \
         f using 1:4 with lines ls 6 dt 2 title '{/Symbol l}_{max} (population)', \
         mp(x) with lines ls 2 title 'MP edge (1 + {/Symbol \326}r)^2', \
         f using 1:3 with lines ls 3 title 'random-matrix prediction'
}
unset logscale
set format x '%g'
set xrange [0:99]
set yrange [-0.2:0.36]
set xlabel 'site {/Helvetica-Italic i}'
set ylabel 'top eigenvector u_i of Ĉ (sign: {/Symbol S} u_i > 0)'
set title '(c) {/Symbol b} = 1'
set key top center horizontal font ',10' spacing 1.0 maxcols 3 samplen 2
set xzeroaxis lt 0 lc rgb '#999999'
Bs = '10 78 599 4545 33333'
plot for [j=1:5] ev.word(Bs, j).'.dat' using 1:2 with lines ls j lw (j == 5 ? 2.5 : 1.2) \
     title sprintf('r = %.3g', 100.0 / word(Bs, j))
unset multiplot
