# Fig. 4b-c (the paper's): the fields of M = 25 and M = 100 binary hidden
# units (sim, the paper's training; M = 100 for e100 epochs) as heat maps,
# units sorted by centre, each signed so that its largest |w| is positive;
# colour range symmetric, +- the panel's largest |w|.
# in: d25, d100 (rank i w, blank line between units), e100, out
load 'figures/common.gp'
if (term eq 'png') { set terminal pngcairo size 1400,620 enhanced font 'Helvetica,16' linewidth 2 }
if (term eq 'pdf') { set terminal pdfcairo size 17cm,7.5cm enhanced font 'Helvetica,8' linewidth 1 }
set output out.'.'.term
set multiplot layout 1,2 title 'Binary hidden units tiling the ring (ising N = 100, {/Symbol b} = 1, B = 10^4, PCD-20)'
set view map
set palette defined (-1 '#2166ac', 0 '#f7f7f7', 1 '#b2182b')
set cblabel 'w_{i{/Symbol m}}'
set xlabel 'site {/Helvetica-Italic i}'
set ylabel 'unit, sorted by centre'
set xrange [-0.5:99.5]
set yrange [-0.5:24.5]
stats d25 using 3 nooutput
m = abs(STATS_max) > abs(STATS_min) ? abs(STATS_max) : abs(STATS_min)
set cbrange [-m:m]
set title 'M = 25, 100 epochs'
plot d25 using 2:1:3 with image
set yrange [-0.5:99.5]
stats d100 using 3 nooutput
m = abs(STATS_max) > abs(STATS_min) ? abs(STATS_max) : abs(STATS_min)
set cbrange [-m:m]
set title sprintf('M = 100, %d epochs', e100)
plot d100 using 2:1:3 with image
unset multiplot
