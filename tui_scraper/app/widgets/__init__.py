"""The app's own widgets: the settings form and the live tables."""
