/** The libtorch backend in one place: dtypes, threads, native-memory scopes ({@code Torch}), autocast, the install home. */
package dev.auris.core;
