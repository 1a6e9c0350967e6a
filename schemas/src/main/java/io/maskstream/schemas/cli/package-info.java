/**
 * Command-line pieces every maskstream command shares: the Kafka client options ({@code
 * --bootstrap}, {@code --kafka-config}) and the user-error type that the launcher reports as one
 * line with exit code 2.
 */
package io.maskstream.schemas.cli;
