/** On-the-fly augmentation of training audio: speed, rooms, noise, telephone lines. */
package dev.auris.train.augment;
