"""mockexam: weekly timed mock exams in Telegram, scored with the Rasch model."""
