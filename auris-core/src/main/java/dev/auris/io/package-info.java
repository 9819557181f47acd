/** Files in and out: safetensors (read, atomic write), checkpoints, .npy, JSONL manifests ({@code ManifestFile}: paths relative to the manifest). */
package dev.auris.io;
