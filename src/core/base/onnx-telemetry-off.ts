/**
 * Side-effect module, imported by onnx-runtime.ts before onnxruntime-node itself (ES modules evaluate their
 * imports in order), so the variable is in the environment before the runtime's native library can read it.
 *
 * Why: the runtime's built-in telemetry client reads /proc/self/cmdline when the first session starts and parses
 * it with a recursive std::regex; a command line of ~20–30k characters (a few hundred paths from xargs) overflows
 * the main thread's 8 MB stack and the process dies with SIGSEGV. ORT_DISABLE_TELEMETRY=1 skips that client (and,
 * as it should in an offline app, sends nothing). process.env writes reach the process's real environment, which
 * the native library reads, so this covers the main thread and every worker thread started after it.
 */
process.env['ORT_DISABLE_TELEMETRY'] = '1';
export {};
