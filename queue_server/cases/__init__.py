"""Registration cases (受理件): progress pushed by the back office, shown to applicants.

hallq is not the registration system: it keeps a protected copy of what the back office
pushes (hashed and masked applicants, the step timeline) and serves it to the people
who can prove they are applicants.
"""
