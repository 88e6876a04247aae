/**
 * The kernel-plan IR: what a prepared model does on a device, as ordered steps (kernel launches, library GEMMs
 * and FFTs, copies) over planned buffers in one memory pool, each step with the graph nodes, DSL spans and
 * algorithm it came from. Written in the shape's symbols (batch, length, KV capacity) so one plan per phase serves
 * every shape. The compiler makes plans; backends interpret them.
 */
package hyenac.ir.plan;
