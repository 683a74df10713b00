"""`publipost preview`: the campaign as it is on disk, one recipient at a time, in a local page
that follows every save (state.py loads and renders, page.py writes the HTML, server.py serves
it and watches the files)."""
