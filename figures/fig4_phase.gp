# Figure 4: the phase boundary beta_c(N) of symmetry breaking, with long
# integrations of the flow marking each side (filled: final R > 0.2,
# localised; open: uniform).  in: pb (N beta_c), pts (N beta R), out
load 'figures/common.gp'
set logscale x
set xlabel 'ring size {/Helvetica-Italic N}'
set ylabel 'coupling {/Symbol b}'
set key top left font ',12'
set xrange [18:560]
set title 'Phase boundary of the symmetric receptive field'
plot pb using 1:2 with linespoints ls 1 title '{/Symbol b}_c(N): stability of the uniform state', \
     pts using 1:($3 > 0.2 ? $2 : 1/0) with points ls 2 pt 7 ps 1.4 title 'flow ends localised (R > 0.2)', \
     pts using 1:($3 < 1e-3 ? $2 : 1/0) with points ls 3 pt 6 ps 1.4 title 'flow ends uniform (R < 10^{-3})'
