/** Training data: chat-style JSONL manifests read into examples, length-bucketed batches, token sequences with the loss on the answer only. */
package dev.auris.train.data;
