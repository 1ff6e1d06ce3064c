# Shared look of the symrbm figures.  The caller sets term ('png' or 'pdf')
# and out (path without extension): PNG at 1000x700 for screens, PDF at
# column width (8.5 cm) for papers.
if (term eq 'pdf') {
    set terminal pdfcairo size 8.5cm,6.2cm enhanced font 'Helvetica,7' linewidth 1
    set output out.'.pdf'
} else {
    set terminal pngcairo size 1000,720 enhanced font 'Helvetica,16' linewidth 2
    set output out.'.png'
}
set style line 1 lc rgb '#1b5e9e' lw 2 pt 7 ps 0.8
set style line 2 lc rgb '#c0392b' lw 2 pt 5 ps 0.8
set style line 3 lc rgb '#27ae60' lw 2 pt 9 ps 0.9
set style line 4 lc rgb '#8e44ad' lw 2 pt 11 ps 0.9
set style line 5 lc rgb '#e67e22' lw 2 pt 13 ps 0.9
set style line 6 lc rgb '#7f8c8d' lw 2 pt 6 ps 0.9
set key noautotitle
