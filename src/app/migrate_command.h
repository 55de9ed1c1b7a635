#pragma once

namespace dockershim::app {

// `dockershim migrate check|config|images …` (argv[0] is "migrate"): the tools for moving a
// node off Docker. Returns the process's exit code: 0 done (check: nothing blocks the move),
// 1 check found what blocks the move, 2 an error.
int runMigrate(int argc, char** argv);

}  // namespace dockershim::app
