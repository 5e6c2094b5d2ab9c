"""What tracing would cost elsewhere: hosted offers' list prices as data, and their monthly bills."""
