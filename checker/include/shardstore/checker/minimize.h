// Minimize: a second shrinking pass over a failing case, after RapidCheck's.
//
// RapidCheck shrinks by dropping commands and simplifying each one's arguments, so it stops at
// local minima that need a different op: five Puts that fill the memtable are one IndexFlush.
// This pass replays the case (RunCase) under edits that know nothing of any particular bug:
//   - drop one op, or two adjacent ones;
//   - replace a window of two to five adjacent ops by one op without arguments (List,
//     IndexFlush, Compact, Reboot, Flush — whichever the harness has);
//   - lower a selector, or zero a FailDiskOnce skip or a value's size and fill;
// keeping each edit under which the case still fails, until none helps.
//
// Thread-safety: as RunCase.
#pragma once

#include "shardstore/checker/replay.h"

namespace shardstore::checker {

struct Minimized {
  Case minimized;
  int replays = 0;  // cases run
  int edits = 0;    // edits kept
};

// REQUIRES: !RunCase(failing).ok().
Minimized Minimize(const Case& failing, int replays_max = 5000);

}  // namespace shardstore::checker
