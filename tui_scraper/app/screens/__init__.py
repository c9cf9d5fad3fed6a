"""The app's screens: start, batch, domain, history, help and dialogs."""
