"""Rules the server and the devices share, below both: pure, no I/O.

Nothing here imports queue_server, devices or kiosk.

The queue server's domain and the device drivers (the card decoder, the printer, the
kiosk) import from here, so neither depends on the other for a rule they both apply:
- `id_number`: resident ID numbers (GB 11643): check digit, validation, birth date;
- `people`: the one `Applicant`, age on a day, and the one masking rule for names (王**)
  and ID numbers wherever they are shown;
- `slips`: the signed QR slip (HQ1:kind:value:signature) a scanner reads and the server
  checks; `appointment`: what an appointment slip's value says;
- `wrapping`: the one rule for breaking Chinese text into lines, on the kiosk's screen
  (pixels) and on a printed slip (columns, hanging indent): 咨询台, 窗口 and a number kept
  whole, no line started by closing punctuation, no character alone on the last line.
"""
