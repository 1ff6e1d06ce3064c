# Fig. 14 (the paper's): stationary solutions of the small-beta lattice
# equation 37 (u = w / sqrt(beta), N = 100, tau = 500 from small noise):
# (a) one unit, with the stable continuum profile of eq. 44 at b- on it;
# (b) two units (eqs. 50-51), rotated to single peaks (binary.sh); (c) the continuum profiles at b+ and b-.
# in: d1 (i u_continuum u_lattice), d2 (i u_0 u_1), bm, bp, b1, b20, b21, out
load 'figures/common.gp'
if (term eq 'png') { set terminal pngcairo size 1500,560 enhanced font 'Helvetica,15' linewidth 2 }
if (term eq 'pdf') { set terminal pdfcairo size 17.5cm,6.5cm enhanced font 'Helvetica,7' linewidth 1 }
set output out.'.'.term
set multiplot layout 1,3 title 'The small-{/Symbol b} limit: lattice equation 37 and the continuum (eq. 44)'
prof(x, b) = sqrt(2 * (b - 2)) / cosh(x * sqrt(b - 2))
set xlabel 'site {/Helvetica-Italic i}'
set ylabel 'u_i = w_i / {/Symbol \326b}'
set xrange [0:99]
set yrange [-0.1:1.1]
set xzeroaxis lt 0 lc rgb '#999999'
set key top left font ',11' spacing 1.1
set title '(a) M = 1 (rolled: peak at site 50)'
set xrange [30:70]
plot d1 using 1:3 with linespoints ls 1 pt 7 ps 0.6 title sprintf('eq. 37, b = %.3f', b1), \
     d1 using 1:2 with lines ls 2 dt 2 title sprintf('continuum, b₋ = %.3f', bm)
set title '(b) M = 2 (eqs. 50-51)'
set xrange [0:99]
plot d2 using 1:2 with linespoints ls 1 pt 7 ps 0.6 title sprintf('unit 0, b = %.3f', b20), \
     d2 using 1:3 with linespoints ls 3 pt 5 ps 0.6 title sprintf('unit 1, b = %.3f', b21)
set title '(c) continuum profiles (eq. 44)'
set xlabel 'x (sites from the centre)'
set ylabel 'u(x)'
set xrange [-10:10]
set yrange [0:5.5]
set samples 400
set key top right
plot prof(x, bp) with lines ls 2 title sprintf('b₊ = %.3f (unstable)', bp), \
     prof(x, bm) with lines ls 1 title sprintf('b₋ = %.3f (stable)', bm)
unset multiplot
