/**
 * Reads the Keras 2.x functional-model JSON (tfjs `modelTopology`) into a flat list of layers with their input
 * layer names. Only single-node, single-output layers are supported, which is what Keras applications produce
 * (each layer called once); anything else is rejected with the layer's name.
 */
import { z } from 'zod';

const inboundTensorSchema = z.tuple([z.string(), z.number().int(), z.number().int()], z.unknown());

const layerSchema = z.object({
  name: z.string(),
  class_name: z.string(),
  config: z.record(z.string(), z.unknown()),
  inbound_nodes: z.array(z.array(inboundTensorSchema)),
});

const topologySchema = z.object({
  keras_version: z.string().optional(),
  model_config: z.object({
    class_name: z.literal('Model'),
    config: z.object({
      name: z.string(),
      layers: z.array(layerSchema).min(1),
      input_layers: z.array(inboundTensorSchema).length(1),
    }),
  }),
});

export interface KerasLayer {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** Names of the layers whose (single) output this layer consumes, in argument order. */
  inputs: string[];
}

export interface KerasModel {
  name: string;
  kerasVersion: string;
  inputLayer: string;
  layers: Map<string, KerasLayer>;
  /** Layer names in file order. */
  order: string[];
}

/**
 * Parses and checks a `modelTopology` object.
 * @throws Error naming the offending layer when the graph uses shared layers or multi-output tensors.
 */
export function parseKerasTopology(topology: unknown): KerasModel {
  const parsed = topologySchema.safeParse(topology);
  if (!parsed.success) throw new Error(`not a Keras functional model: ${parsed.error.message}`);
  const { config } = parsed.data.model_config;
  const layers = new Map<string, KerasLayer>();
  for (const layer of config.layers) {
    if (layers.has(layer.name)) throw new Error(`duplicate layer name ${layer.name}`);
    if (layer.inbound_nodes.length > 1) throw new Error(`layer ${layer.name} is shared (called ${layer.inbound_nodes.length} times)`);
    const inbound = layer.inbound_nodes[0] ?? [];
    const inputs = inbound.map(([source, nodeIndex, tensorIndex]) => {
      if (nodeIndex !== 0 || tensorIndex !== 0) throw new Error(`layer ${layer.name} reads node ${nodeIndex}/tensor ${tensorIndex} of ${source}`);
      return source;
    });
    layers.set(layer.name, { name: layer.name, className: layer.class_name, config: layer.config, inputs });
  }
  for (const layer of layers.values()) {
    for (const input of layer.inputs) if (!layers.has(input)) throw new Error(`layer ${layer.name} reads unknown layer ${input}`);
  }
  const inputLayer = config.input_layers[0]?.[0];
  if (inputLayer === undefined || layers.get(inputLayer)?.className !== 'InputLayer') throw new Error('model has no InputLayer');
  return {
    name: config.name,
    kerasVersion: parsed.data.keras_version ?? 'unknown',
    inputLayer,
    layers,
    order: config.layers.map((l) => l.name),
  };
}

/** The layers needed to compute `targets`, inputs first (a deterministic depth-first post-order). */
export function requiredLayers(model: KerasModel, targets: readonly string[]): KerasLayer[] {
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: KerasLayer[] = [];
  const visit = (name: string): void => {
    if (done.has(name)) return;
    if (visiting.has(name)) throw new Error(`cycle through layer ${name}`);
    const layer = model.layers.get(name);
    if (layer === undefined) throw new Error(`unknown layer ${name}; the model has e.g. ${model.order.slice(-5).join(', ')}`);
    visiting.add(name);
    for (const input of layer.inputs) visit(input);
    visiting.delete(name);
    done.add(name);
    out.push(layer);
  };
  for (const target of targets) visit(target);
  return out;
}
