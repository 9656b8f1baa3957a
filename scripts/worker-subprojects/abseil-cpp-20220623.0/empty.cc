// intentionally empty: the real library comes from the system via pkg-config
