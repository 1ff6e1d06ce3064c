# The paper's Fig. 8: XY configurations as an image (SPEC.md 9; caption in
# figures/README_xy.md).  Input: a text sample file of `symrbm sample --data
# xy` (header lines '#', then one configuration of N states 0..P-1 a line),
# made by figures/xy_configs.sh.  Rows of the image are configurations,
# columns sites; the colour is the state on a cyclic palette (state c at the
# angle 2 pi c / P of a colour wheel), so neighbouring angles have neighbouring colours and
# state P-1 meets state 0 without a jump.
#   gnuplot -e "samples='figures/data/xy_configs_P10_N100.txt'; outdir='figures/out'" figures/xy_configs.gp
if (!exists("samples")) samples = 'figures/data/xy_configs_P10_N100.txt'
if (!exists("outdir")) outdir = 'figures/out'
system('mkdir -p ' . outdir)
# P, N and B from the sample file's header and shape, not assumed
P = int(system(sprintf("awk -F= '/^# states=/{print $2; exit}' %s", samples)))
N = int(system(sprintf("awk '!/^#/{print NF; exit}' %s", samples)))
B = int(system(sprintf("awk '!/^#/{n++} END{print n}' %s", samples)))
name = 'fig8_xy_configs'

# One defined colour per state at palette positions 0..P-1: with maxcolors
# P gnuplot samples the palette at both ends, so a continuous hue ramp from
# 0 to 1 would give states 0 and P-1 the same colour.  Colour of state c:
# the cosine wheel r, g, b = 0.55 + 0.4 cos(theta - 0, 2pi/3, 4pi/3),
# theta = 2 pi c / P, cyclic and of nearly even brightness (HSV hues are not).
pal = ''
do for [c = 0:P-1] {
    th = 2 * pi * c / P
    pal = pal . sprintf('%s%d %.4f %.4f %.4f', c ? ', ' : '', c, \
        0.55 + 0.4 * cos(th), 0.55 + 0.4 * cos(th - 2 * pi / 3), 0.55 + 0.4 * cos(th - 4 * pi / 3))
}
eval('set palette model RGB defined (' . pal . ')')
set palette maxcolors P
set cbrange [-0.5 : P - 0.5]
set cbtics 1
set cblabel 'state v_i (angle 2{/Symbol p} v_i / P)'
set xrange [-0.5 : N - 0.5]
set yrange [-0.5 : B - 0.5]
set xlabel 'site i'
set ylabel 'configuration'
set title sprintf('XY configurations: P = %d, {/Symbol b} = 1.5, N = %d', P, N)
set tics out
set size ratio -1
set key noautotitle

do for [term = 0:1] {
    if (term == 0) {
        set terminal pngcairo size 1000,900 enhanced font 'Helvetica,16' linewidth 2
        set output outdir . '/' . name . '.png'
    } else {
        set terminal pdfcairo size 8.5cm,7.6cm enhanced font 'Helvetica,7' linewidth 1
        set output outdir . '/' . name . '.pdf'
    }
    plot samples matrix with image pixels
    unset output
}
