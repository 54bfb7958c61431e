package dev.aenstream.produce.text;

/** A piece of text to run through a model; activation records carry character offsets into it. */
public record Document(String name, String text) {}
