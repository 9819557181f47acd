/** The {@code auris} command line (picocli): one class a command, each a thin layer over the library. */
package dev.auris.cli;
