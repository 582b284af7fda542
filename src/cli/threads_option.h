// --threads N of train, sample and bench: at least 1, and at most the CPUs
// this process may use (cpus_available()): threads beyond them wait on each
// other at every hand-off (on 2 CPUs, before this cap, 4 threads trained
// config A at 0.67x and sampled one stream at 0.12x the speed of 2). A
// larger N is lowered, with a notice on standard error (from the first rank
// only, under mpirun); results are the same for any N.
#pragma once

namespace charnn::cli {

// The thread count to run for `requested` (>= 1), after the notice if lowered.
int threads_to_run(int requested);

}  // namespace charnn::cli
