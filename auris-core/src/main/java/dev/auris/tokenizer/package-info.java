/** Text ⇄ token ids: Hugging Face tokenizers (through DJL) and llama2.c tokenizers behind one {@code Tokenizer} interface. */
package dev.auris.tokenizer;
