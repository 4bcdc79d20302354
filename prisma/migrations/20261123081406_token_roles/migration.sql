-- The roles take the names the API documents (reader, maintainer, admin). Renaming the values keeps existing tokens.
ALTER TYPE "TokenRole" RENAME VALUE 'READ' TO 'READER';
ALTER TYPE "TokenRole" RENAME VALUE 'WRITE' TO 'MAINTAINER';
