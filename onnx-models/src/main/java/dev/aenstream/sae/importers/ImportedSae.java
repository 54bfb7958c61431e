package dev.aenstream.sae.importers;

import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderSpec;

/**
 * An SAE read from another tool's files: our parameters, how to build its encoder, and where it
 * came from.
 */
public record ImportedSae(SaeParameters params, EncoderSpec spec, String source) {}
