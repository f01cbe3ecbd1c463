// The product logs each page and notification at info: in tests that is thousands of lines on jest's own
// output. Warnings and errors still show; a test that reads a process's log sets its own LOG_LEVEL.
process.env.LOG_LEVEL ??= 'warn';
