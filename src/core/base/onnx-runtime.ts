/**
 * The one door to onnxruntime-node: every module of the app imports ONNX Runtime from here, never directly,
 * so the runtime never starts without its telemetry switched off (see onnx-telemetry-off.ts for the crash that
 * prevents).
 */
import './onnx-telemetry-off.js';

export * from 'onnxruntime-node';
export { default } from 'onnxruntime-node';
