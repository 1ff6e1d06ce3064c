#!/usr/bin/env python3
"""ref_pgm: the authors' PGM package (Tubiana's rbm.py, github.com/jertubiana/PGM)
timed on the trainer runs symrbm's bench/pgm.sh times beside it (issue 9).

Reads a symrbm text sample file (+1/-1 rows after '# ' header lines), as a PGM
user would, then trains PGM's RBM(visible='Spin', hidden='Spin') -- +-1 visible
and hidden units, symrbm's --hidden spin -- by persistent contrastive divergence
(CD=False), nchains persistent chains, N_MC Gibbs steps per update, no batch
norm and no learning-rate decay (symrbm has neither), for --epochs epochs.
A first short fit compiles PGM's numba kernels and is not timed (symrbm is
compiled ahead of time).  Prints key<TAB>value lines: the data read time, the
wall and process CPU time of each timed fit, their minima, and the wall
seconds per update (of the fastest fit).

Usage: ref_pgm.py --pgm /tmp/pgm/source --data FILE --M 5 --optimizer ADAM
       --lr 0.01 --batch 100 --chains 100 --mc 1 --epochs 20 --repeats 3

Potts mode (issue 10, bench/pgm_potts.sh): --visible Potts --P 10 reads a
symrbm `sample --data xy` text file (states 0..P-1) and trains PGM's
RBM(visible='Potts', n_cv=P, hidden='Spin') the same way; the default
--visible Spin is the +-1 trainer above, unchanged.
The thread count is NUMBA_NUM_THREADS, set by the caller.
"""
import argparse
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pgm", required=True, help="PGM's source directory (holds rbm.py)")
    ap.add_argument("--data", required=True)
    ap.add_argument("--M", type=int, default=5)
    ap.add_argument("--optimizer", default="ADAM")
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--chains", type=int, default=100)
    ap.add_argument("--mc", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--visible", default="Spin", choices=["Spin", "Potts"])
    ap.add_argument("--P", type=int, default=10, help="Potts states (--visible Potts)")
    a = ap.parse_args()

    sys.path.insert(0, a.pgm)
    import numpy as np
    import rbm  # PGM

    t0 = time.perf_counter()
    data = np.loadtxt(a.data, comments="#", dtype=np.int16)
    t_read = time.perf_counter() - t0
    if data.ndim == 1:
        data = data[None, :]
    B, N = data.shape

    def fit(epochs, seed):
        if a.visible == "Potts":
            r = rbm.RBM(n_v=N, n_h=a.M, visible="Potts", n_cv=a.P, hidden="Spin",
                        random_state=seed)
        else:
            r = rbm.RBM(n_v=N, n_h=a.M, visible="Spin", hidden="Spin", random_state=seed)
        t, c = time.perf_counter(), time.process_time()
        r.fit(data, batch_size=a.batch, learning_rate=a.lr, optimizer=a.optimizer,
              batch_norm=False, CD=False, N_MC=a.mc, nchains=a.chains, n_iter=epochs,
              lr_decay=False, verbose=0, shuffle_data=True)
        return time.perf_counter() - t, time.process_time() - c

    fit(1, 0)  # numba compilation
    runs = [fit(a.epochs, k + 1) for k in range(a.repeats)]
    walls = [w for w, _ in runs]
    cpus = [c for _, c in runs]
    updates = a.epochs * -(-B // a.batch)
    print("visible\t%s" % (a.visible if a.visible == "Spin" else "Potts P=%d" % a.P))
    print("threads\t%s" % os.environ.get("NUMBA_NUM_THREADS", "default"))
    print("N\t%d\nB\t%d\nupdates\t%d" % (N, B, updates))
    print("read_s\t%.3f" % t_read)
    print("fit_s\t%s" % " ".join("%.3f" % w for w in walls))
    print("fit_s_min\t%.3f" % min(walls))
    print("fit_cpu_s\t%s" % " ".join("%.3f" % c for c in cpus))
    print("fit_cpu_s_min\t%.3f" % min(cpus))
    print("s_per_update\t%.6g" % (min(walls) / updates))


if __name__ == "__main__":
    main()
