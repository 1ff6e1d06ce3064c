# final_rows.awk: the last snapshot of a weights.tsv, one line per hidden
# unit: "mu w_0 ... w_{N-1}".  Columns are found by name on the column line
# (t, mu, w_0 ...), so columns added before or after them do not matter.
# usage: awk -f figures/final_rows.awk weights.tsv
/^#/ { next }
!have {
    for (j = 1; j <= NF; j++) {
        if ($j == "t") ct = j
        if ($j == "mu") cm = j
        if ($j == "w_0") c0 = j
        if ($j ~ /^w_[0-9]+$/) n++
    }
    have = 1; next
}
{
    if ($ct != last) { delete row; last = $ct }
    line = $cm
    for (i = 0; i < n; i++) line = line " " $(c0 + i)
    row[$cm] = line; M = ($cm + 1 > M) ? $cm + 1 : M
}
END { for (m = 0; m < M; m++) if (m in row) print row[m] }
