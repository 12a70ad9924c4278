"""Inside a course: landing, the course page and roster, the picker, activities, passback."""
