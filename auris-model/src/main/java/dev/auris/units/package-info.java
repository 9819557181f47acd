/** Discrete units: k-means codebooks over encoder features and their deduplicated unit sequences (for the token-mapping connectors now, the speech decoder's targets next). */
package dev.auris.units;
