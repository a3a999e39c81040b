"""The browser pages of `hallq serve`: hall and window displays, window and guide consoles.

Plain HTML, CSS and small ES modules: nothing to build, so a hall can fix a page with a
text editor and a reload.
"""
