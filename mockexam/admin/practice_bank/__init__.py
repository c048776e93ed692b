"""The admin's practice question bank (spec §7–8): one page, a state per part.

- `questions`: the summary, the topics' rows and one page of the question
  list (`PracticeBankState`, which every other part refreshes after a change);
- `question_form`: the add / edit dialog with the live preview;
- `question_import`: the .json / .csv / .zip import (check, then import);
- `topics`: add, rename, reorder, delete topics;
- `page`: the route and the page.
"""
