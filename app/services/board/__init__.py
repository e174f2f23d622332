"""The dispatcher's board: the day's timeline (`timeline`), its map (`map_view`), its side
panels (`panels`), a proposal under review (`review`) and the hand edits (`edits`)."""
