# The phase boundary beta_c(N) of one binary hidden unit (phase --hidden
# spin), with long integrations of its flow (T = 10^4) at beta_c -+ 0.1
# (filled: final R > 0.2, localised; open: uniform, R < 10^-3), and the
# gaussian unit's boundary of figure 4 for reference when it exists.
# in: pb (N beta_c), pts (N beta R), pg (gaussian N beta_c, may be missing), out
load 'figures/common.gp'
set logscale x
set xlabel 'ring size {/Helvetica-Italic N}'
set ylabel 'coupling {/Symbol b}'
set key top left font ',12'
set xrange [18:560]
set xtics (25, 50, 100, 200, 400)
set title 'Phase boundary of the symmetric receptive field: binary hidden unit'
have_g = system(sprintf('test -s "%s" && echo 1 || echo 0', pg)) + 0
plot pb using 1:2 with linespoints ls 1 title '{/Symbol b}_c(N), binary unit', \
     pts using 1:($3 > 0.2 ? $2 : 1/0) with points ls 2 pt 7 ps 1.4 title 'flow ends localised (R > 0.2)', \
     pts using 1:($3 < 1e-3 ? $2 : 1/0) with points ls 3 pt 6 ps 1.4 title 'flow ends uniform (R < 10^{-3})', \
     (have_g ? pg : pb) using 1:(have_g ? $2 : 1/0) with linespoints ls 6 dt 2 pt 4 title (have_g ? '{/Symbol b}_c(N), gaussian unit (fig. 4)' : '')
